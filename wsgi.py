from pm_platform import create_app

app = create_app()
celery = app.extensions["celery"]  # `celery -A wsgi:celery worker` / `beat`
