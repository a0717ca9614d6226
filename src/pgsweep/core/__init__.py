"""The vocabulary every stage shares: the models that cross stage boundaries, errors, scan
options and their configuration file, and how scanned text is shown safely.
"""
