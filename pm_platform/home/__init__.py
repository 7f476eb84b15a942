"""The start page: what each person should do next, by the roles they hold."""
