"""From detector candidates to findings and credentials: the pipeline that composes detection,
filtering and scrubbing, content-addressed ids, places and baselines.
"""
