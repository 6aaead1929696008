"""The reports of ``crossentropy score``: the verdict, text, HTML, figures and JSON.

From the bottom up: ``_verdict`` (what the numbers mean, in words), ``_format`` (how a
number is written, shared by every report and figure), ``_content`` (the content model
of the text and HTML reports: the metrics table, the class rows, the worst rows),
``_text`` (the terminal report), the figures (``_plot_style``, ``_plot_reliability``,
``_plot_histogram``, ``_plot_classes``, and ``_plots``, which names, sizes and writes
them), ``_html_parts`` and ``_html`` (the HTML report), and ``_json``.
"""
