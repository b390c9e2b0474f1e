"""Developer entry points behind the Makefile: ``make run`` and ``make test``.

Not imported by the application; they start the embedded PostgreSQL and drive
``manage.py`` and pytest as subprocesses."""
