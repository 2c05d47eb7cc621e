"""The worker side: the worker API, the training and grading procedures, the failure
policy, the classifier cache and maintenance (failures, the sweeper, heartbeats)."""
