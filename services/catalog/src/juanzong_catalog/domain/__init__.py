"""Catalog domain: pure rules for cataloguing scanned batches into an electronic dossier (no I/O).

``pages`` (input contract from scan-ocr) → ``splitter`` + ``classifier`` + ``metadata``
(joined in ``cataloguing``) → ``dossier`` (standard order, page numbers, 卷内目录, corrections,
智能编目率); ``search_index`` for CJK keyword search; ``categories`` for the catalogue and its
order; ``corpus`` generates the training and benchmark documents from ``juanzong_catalog.data``.
"""
