"""The QTI 3.0, IMS content packaging and LOM names both directions use."""

from __future__ import annotations

import re

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0p1_v1p0.xsd"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_XSD = "https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_TYPE = "imsqti_item_xmlv3p0"
MANIFEST = "imsmanifest.xml"
DATA = "data-aaism-"
# LOM 1.0 educational difficulty vocabulary, to and from the bank's three levels.
LOM_DIFFICULTY = {"easy": "easy", "medium": "medium", "hard": "difficult"}
FROM_LOM_DIFFICULTY = {
    "very easy": "easy",
    "easy": "easy",
    "medium": "medium",
    "difficult": "hard",
    "very difficult": "hard",
    "hard": "hard",
}
FEEDBACK_TAGS = frozenset({"qti-feedback-inline", "qti-feedback-block", "qti-modal-feedback"})
NOT_CONTENT_TAGS = FEEDBACK_TAGS | {
    "qti-rubric-block",
    "qti-template-block",
    "qti-template-inline",
    "qti-stylesheet",
    "qti-catalog-info",
}
_FILE_SAFE = re.compile(r"[^A-Za-z0-9._-]")
