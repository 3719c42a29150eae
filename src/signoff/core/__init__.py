"""The registry core: everything the application does, headless and without Qt.

One package per concern, layered; a package imports only those listed below it (the
``layers`` contract in ``pyproject.toml``, kept by ``tests/test_architecture.py``):

==================  ===================================================================
``importers``       bring models in from other registries (MLflow)
``governance``      the lifecycle, gates, policy, people, identity, signing, checks
``reproduction``    re-run a recorded prediction; the report for a regulator
``monitoring``      metrics per window, drift, staleness
``ingest``          runs, predictions and outcomes reported by the factory
``publishing``      a model folder and its manifest become a draft version
``notifications``   the outbox and signed webhooks to consumers
``render``          notebooks and release notes as sanitized, offline HTML
``runner``          a version's scoring code in a separate, limited process
``catalog``         read side: inventory, lookups, model and version pages, compare
``audit``           the append-only, hash-chained event log
``db``              engine, sessions, schema, migrations, PostgreSQL roles
``artifacts``       content-addressed file store
``common``          errors, time, retry, files, progress: what every layer may use
==================  ===================================================================
"""
