"""Intake's pure rules (no I/O): 案号, courts, cases, original-trial links, scan tasks, staged materials.

Modules: ``case_number`` (案号), ``courts`` (法院代字), ``case_types`` (类型代字), ``case`` (案件, scope
第十四条, secrecy 第十条), ``original_trial`` (原审 第三条(一)(二)), ``scan_task`` (扫描任务 第三条(三)2,
第五条(二)(三)), ``staged_materials`` (分段扫描 长中法〔2018〕129号 第六条, 第七条), ``errors``, ``articles``.
"""
