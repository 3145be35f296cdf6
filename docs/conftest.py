"""pytest collects the pages' ``>>>`` examples as doctests, not the Sphinx configuration
or what a build generates."""

collect_ignore = ["conf.py", "offline_inventory.py"]
collect_ignore_glob = ["_build/*", "generated/*", "auto_examples/*"]
