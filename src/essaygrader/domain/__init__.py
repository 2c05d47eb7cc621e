"""The domain: rubrics, items, submissions, training examples, assessments, workflows.

Plain dataclasses and rules; nothing here imports a framework or touches storage.
"""
