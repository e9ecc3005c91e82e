from insights.cli import app

app(prog_name="insights")
