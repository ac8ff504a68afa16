"""An 80 mm ticket for ESC/POS network printers, laid out with python-escpos and sent over TCP (port 9100).

The bytes are built in memory (`escpos.printer.Dummy`) and sent in one go, so a printer that fails midway
leaves nothing half-printed on our side, and the layout is testable without a printer. Chinese text is sent
in the printer's Chinese mode (FS &, GB18030), which the thermal printers sold in China speak; python-escpos'
own code-page table has no CJK. Sending blocks: callers run `send` in a thread (never on the event loop).
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # imported when a slip is rendered: it reads a large capabilities file (0.4 s at start)
    from escpos.printer import Dummy

log = logging.getLogger(__name__)

CHINESE_ON = b"\x1c\x26"  # FS &: Chinese character mode
CHINESE_OFF = b"\x1c\x2e"  # FS .
CONNECT_TIMEOUT = 3.0
SEND_TIMEOUT = 5.0


class PrinterFault(Exception):
    """The printer could not be reached or did not take the ticket; the message is for the citizen."""


@dataclass(frozen=True, slots=True)
class TicketSlip:
    hall_name: str
    number: str
    queue_name: str
    queue_name_en: str
    issued_at: float
    timezone: str
    people_ahead: int
    wait_text: str  # "约 10–20 分钟"
    status_url: str
    priority_text: str = ""  # "老年人优先"
    appointment_text: str = ""  # "预约 10:00"


def _zh(p: Dummy, text: str) -> None:
    p._raw(CHINESE_ON + text.encode("gb18030", errors="replace") + CHINESE_OFF)


def render(slip: TicketSlip) -> bytes:
    """The slip as ESC/POS bytes."""
    from escpos.printer import Dummy

    p = Dummy()
    p.hw("INIT")
    p.set(align="center", bold=True, double_height=True, double_width=False)
    _zh(p, slip.hall_name + "\n")
    p.set(align="center", normal_textsize=True)
    p.text("-" * 32 + "\n")
    p.set(align="center", bold=True, custom_size=True, width=4, height=4)
    p.text(slip.number + "\n")
    p.set(align="center", normal_textsize=True, bold=True)
    _zh(p, f"{slip.queue_name}\n")
    p.set(align="center", bold=False)
    p.text(f"{slip.queue_name_en}\n")
    if slip.priority_text:
        p.set(align="center", bold=True)
        _zh(p, f"【{slip.priority_text}】\n")
    if slip.appointment_text:
        p.set(align="center", bold=True)
        _zh(p, f"{slip.appointment_text}\n")
    p.set(align="left", bold=False)
    _zh(p, f"前面还有 {slip.people_ahead} 人  预计等候 {slip.wait_text}\n")
    issued = dt.datetime.fromtimestamp(slip.issued_at, ZoneInfo(slip.timezone))
    _zh(p, f"取号时间 {issued:%Y-%m-%d %H:%M}\n")
    p.set(align="center")
    p.qr(slip.status_url, size=6, native=True)  # the printer draws it: small, sharp, fast
    _zh(p, "微信或浏览器扫码，实时查看叫号进度\n")
    _zh(p, "过号请重新取号，请留意大屏叫号\n")
    p.cut()
    return bytes(p.output)


def send(host: str, port: int, data: bytes) -> None:
    """Send the bytes to the printer; raise PrinterFault with a message for the citizen on any failure."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as s:
            s.settimeout(SEND_TIMEOUT)
            s.sendall(data)
    except OSError as e:
        raise PrinterFault(f"打印机未连接或故障（{host}:{port}）(printer unreachable: {e.strerror or e})") from e
