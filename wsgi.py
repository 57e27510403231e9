from qualitymark import create_app

app = create_app()
