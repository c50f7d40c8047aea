"""Transform: the dbt build of staging, intermediate and mart models (the dbt project lives at
the repository root: ``models/``, ``macros/``, ``seeds/``, ``data-tests/``)."""
