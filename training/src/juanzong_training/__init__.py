"""Juanzong training: the generated court-document corpus (benchmark and test bundles) and the fit of catalog's
page model, written as the artifact the catalog service loads (``juanzong-train page-model --out <path>``)."""
