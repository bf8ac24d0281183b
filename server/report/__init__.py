"""Weekly KPI reports: data loading, charts, HTML/CSV/JSON, the Monday schedule and delivery."""
