"""Collects each language's own test modules (templates/<lang>/test_*.py), not what a project is made of:
the copier subtrees and the drop-in services carry tests of their own, which run in the images' test
stage."""

collect_ignore_glob = ["*/project", "*/services", "*/examples"]
