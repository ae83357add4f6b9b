#!/usr/bin/env python3
"""Writes the import files of docs/PERFORMANCE.md (*Import limits*): an
XLSX of a few MB whose sheet XML inflates to about 1 GB (one persons row
repeated), and a CSV of random persons-shaped rows. Usage:

    scripts/import-bomb.py xlsx OUT.xlsx [MB_INFLATED]   # default 1024
    scripts/import-bomb.py csv OUT.csv [MB]               # default 50
"""
import random
import sys
import zipfile

HEADER = "户编号,行政区划代码,户类别,家庭年人均纯收入,姓名,身份证号,与户主关系,人员类别,联系电话,人员状态".split(",")
ROW = "H1,130624100200,脱贫户,10230.76,孙文华,130624196603233058,户主,,,正常".split(",")
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
}


def row_xml(values):
    # No r= attributes: identical rows compress best, and readers number
    # rows in order.
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def xlsx(out, mb):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            f.write(row_xml(HEADER).encode())
            block = row_xml(ROW).encode() * 4096
            for _ in range(mb * (1 << 20) // len(block)):
                f.write(block)
            f.write(b"</sheetData></worksheet>")


def csv(out, mb):
    rnd = random.Random(7)
    alphabet = "0123456789ABCDEFXYZ户主配偶正常-.:"
    with open(out, "w", encoding="utf-8") as f:
        f.write(",".join(HEADER) + "\n")
        written = 0
        while written < mb << 20:
            line = ",".join("".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12))) for _ in HEADER) + "\n"
            f.write(line)
            written += len(line.encode())


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else (1024 if kind == "xlsx" else 50)
    {"xlsx": xlsx, "csv": csv}[kind](out, size)
