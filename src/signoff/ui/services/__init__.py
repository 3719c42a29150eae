"""What every page uses: the application context, the worker, settings, resources, theme."""
