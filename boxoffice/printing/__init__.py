"""Printing: one layout model and the back-ends that turn it into paper.

- ``layout``: the blocks (Text, Columns, QR, Rule, Feed, Cut, DrawerKick) and the ticket and receipt builders;
- ``escpos_render``: a layout to ESC/POS bytes for receipt printers (python-escpos, imported only when used);
- ``pdf_render``: layouts to a PDF on ticket stock or A4 (reportlab, imported only when used);
- ``uri``: printer URIs (usb, tcp, serial, file, cups, pdf);
- ``transport``: bytes to a printer, every failure a ``printer_offline`` error the print queue can retry.

The functions here are pure (layout to bytes, bytes to printer); the print-job queue in the database decides
when to call them. Nothing is imported here, so ``import boxoffice.printing`` stays free.
"""
