"""Celery app and the jobs. Each task is a thin call into one service function."""
