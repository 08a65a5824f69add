"""Catalog domain: pure rules for cataloguing scanned batches into an electronic dossier (no I/O).

``pages`` (input contract from scan-ocr) → ``splitter`` + ``classifier`` + ``metadata``
(joined in ``cataloguing``) → ``dossier`` (standard order, page numbers, 卷内目录, corrections,
智能编目率); ``search_index`` for CJK keyword search; ``categories`` for the catalogue and its
order. The generated training and benchmark documents are in ``juanzong_training.corpus``.
"""
