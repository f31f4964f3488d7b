"""The machinery behind the site: what a run's checked lines claim, and the verdict they give."""
