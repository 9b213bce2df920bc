"""Hand-built .xlsx files for the import's limits: the zip and its XML parts written byte by
byte, so a test can make what Excel never would (a 1 GB cell in a 1 MB file, sizes that lie)
in a fraction of a second."""

import struct
import zlib

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"

PARTS = {
    "[Content_Types].xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="{PACKAGE}/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="{CONTENT_TYPE}.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CONTENT_TYPE}.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="{CONTENT_TYPE}.sharedStrings+xml"/>
</Types>""",
    "_rels/.rels": f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE}/relationships">
<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""",
    "xl/workbook.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">
<sheets><sheet name="Remittance" sheetId="1" r:id="rId1"/></sheets></workbook>""",
    "xl/_rels/workbook.xml.rels": f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="{PACKAGE}/relationships">
<Relationship Id="rId1" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{RELATIONSHIPS}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""",
}
SHEET_START = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
SHEET_END = "</sheetData></worksheet>"
STRINGS_START = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'
STRINGS_END = "</sst>"
HEADER = ("invoice_number", "amount", "received_on", "method")


def cell(column: str, row: int, value: str) -> str:
    return f'<c r="{column}{row}" t="inlineStr"><is><t>{value}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(cell(c, 1, v) for c, v in zip("ABCD", HEADER)) + "</row>"


class Part:
    """One zip member: its deflated bytes, and the size and CRC it declares."""

    def __init__(self, name: str, deflated: bytes, size: int, crc: int):
        self.name, self.deflated, self.size, self.crc = name, deflated, size, crc

    @classmethod
    def of(cls, name: str, text: str | bytes) -> "Part":
        data = text.encode() if isinstance(text, str) else text
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = compressor.compress(data) + compressor.flush()
        return cls(name, deflated, len(data), zlib.crc32(data))

    @classmethod
    def repeated(cls, name: str, start: str, unit: bytes, times: int, end: str) -> "Part":
        """`start`, `times` copies of `unit`, `end`, deflated without compressing every copy: after
        two copies the compressor emits the same bytes for each further one (same window)."""
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        head = compressor.compress(start.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        copies = [compressor.compress(unit) + compressor.flush(zlib.Z_SYNC_FLUSH) for _ in range(3)]
        assert copies[1] == copies[2], "the compressor did not settle"
        tail = compressor.compress(end.encode()) + compressor.flush()
        deflated = head + copies[0] + copies[1] * (times - 1) + tail
        crc = zlib.crc32(start.encode())
        for _ in range(times):
            crc = zlib.crc32(unit, crc)
        crc = zlib.crc32(end.encode(), crc)
        return cls(name, deflated, len(start) + len(unit) * times + len(end), crc)


def zip_of(parts: list[Part], *, declare: dict[str, int] | None = None) -> bytes:
    """The zip file; `declare` makes a part claim another unpacked size than its own."""
    declare = declare or {}
    out, directory = bytearray(), bytearray()
    for part in parts:
        name = part.name.encode()
        size = declare.get(part.name, part.size)
        fields = (20, 0, 8, 0, 0, part.crc, len(part.deflated), size, len(name), 0)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name + part.deflated
        directory += (
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + name
        )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), len(directory), len(out), 0
    )
    return bytes(out + directory + end)


def workbook(sheet: Part, strings: Part | None = None, **kwargs) -> bytes:
    strings = strings or Part.of("xl/sharedStrings.xml", STRINGS_START + STRINGS_END)
    parts = [Part.of(name, text) for name, text in PARTS.items()]
    return zip_of([*parts, sheet, strings], **kwargs)


def sheet_of(rows: str) -> Part:
    return Part.of("xl/worksheets/sheet1.xml", SHEET_START + header_row() + rows + SHEET_END)
