"""What a credential means for its owner: host and role classification, the risk model and the
rotation plan.
"""
