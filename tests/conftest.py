# Fixture files are inputs for the plugin, not tests to run.
collect_ignore_glob = ["fixtures/*"]
