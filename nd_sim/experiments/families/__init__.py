"""Wait projections for families: from today's waiting list to what each family is told."""
