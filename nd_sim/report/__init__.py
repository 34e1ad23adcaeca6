"""What people read: the HTML report, its narrative and figures, the terminal tables."""
