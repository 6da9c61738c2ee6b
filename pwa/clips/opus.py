"""A recording's Opus packets, out of the WebM a browser's recorder makes or an Ogg file, into a
new Ogg Opus file that holds nothing else.

Chromium's MediaRecorder records WebM (Matroska) with Opus in it, which mutagen cannot read.
Rather than trust that container, its audio packets are taken out (a small EBML reader, below)
and written into a fresh Ogg Opus stream with an empty comment header: nothing of the uploaded
file but the sound goes through (no tags, no attachments, no other tracks), and mutagen then
reads the file that is stored, and its length, from the packets themselves. An Ogg Opus upload
(Firefox, Android's recorders) is rebuilt the same way, from its first Opus stream only."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus

SAMPLE_RATE = 48_000  # Opus always counts its samples at 48 kHz
VENDOR = b"startrip"


class NotOpus(ValueError):
    """The bytes are not a recording this module can take the sound out of."""


@dataclass
class Recording:
    head: bytes  # the OpusHead packet
    packets: list[bytes]


# --- Opus: how long a packet plays (RFC 6716, 3.1) ------------------------------------------


def packet_samples(packet: bytes) -> int:
    if not packet:
        raise NotOpus("empty packet")
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config % 4]
    code = toc & 3
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    else:
        if len(packet) < 2:
            raise NotOpus("short packet")
        frames = packet[1] & 0x3F
    return frame * frames


# --- WebM (Matroska): just enough EBML to find the audio track and its blocks -----------------

EBML, DOC_TYPE = 0x1A45DFA3, 0x4282
SEGMENT, CLUSTER, BLOCK_GROUP = 0x18538067, 0x1F43B675, 0xA0
TRACKS, TRACK_ENTRY = 0x1654AE6B, 0xAE
TRACK_NUMBER, TRACK_TYPE, CODEC_ID, CODEC_PRIVATE = 0xD7, 0x83, 0x86, 0x63A2
SIMPLE_BLOCK, BLOCK = 0xA3, 0xA1
AUDIO_TRACK = 2
# Masters whose children are read in place (the recorder leaves their sizes unknown).
ENTER = {SEGMENT, CLUSTER, BLOCK_GROUP}


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """A variable-length integer at pos → (value, next position, all ones = unknown size)."""
    if pos >= len(data):
        raise NotOpus("truncated")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise NotOpus("bad number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The elements between start and end, as (id, data start, data end); the masters in
    ENTER are not stepped over: their children follow in the list."""
    found = []
    pos = start
    while pos < end:
        element, pos, _ = _vint(data, pos, keep_marker=True)
        size, pos, unknown = _vint(data, pos, keep_marker=False)
        if element in ENTER:
            found.append((element, pos, end if unknown else min(pos + size, end)))
            continue
        if unknown or pos + size > end:
            raise NotOpus("element past the end")
        found.append((element, pos, pos + size))
        pos += size
    return found


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def from_webm(data: bytes) -> Recording:
    top = _elements(data, 0, len(data))
    if not top or top[0][0] != EBML:
        raise NotOpus("not EBML")
    doc = dict((e, data[s:t]) for e, s, t in _elements(data, top[0][1], top[0][2]))
    if doc.get(DOC_TYPE, b"").rstrip(b"\0") not in (b"webm", b"matroska"):
        raise NotOpus("not WebM")
    tracks = [(s, t) for e, s, t in top if e == TRACKS]
    if len(tracks) != 1:
        raise NotOpus("no tracks")
    entries = [(s, t) for e, s, t in _elements(data, *tracks[0]) if e == TRACK_ENTRY]
    if len(entries) != 1:  # one track, the voice: a video or a second stream is refused
        raise NotOpus("not one track")
    fields = {e: data[s:t] for e, s, t in _elements(data, *entries[0])}
    if _uint(fields.get(TRACK_TYPE, b"")) != AUDIO_TRACK or fields.get(CODEC_ID) != b"A_OPUS":
        raise NotOpus("not Opus audio")
    head = fields.get(CODEC_PRIVATE, b"")
    if not head.startswith(b"OpusHead") or len(head) < 19:
        raise NotOpus("no Opus header")
    number = _uint(fields.get(TRACK_NUMBER, b""))
    packets = []
    for element, start, end in top:
        if element not in (SIMPLE_BLOCK, BLOCK):
            continue
        track, pos, _ = _vint(data, start, keep_marker=False)
        if track != number:
            raise NotOpus("a block of another track")
        flags = data[pos + 2] if pos + 2 < end else 0
        if flags & 0x06:  # laced blocks: the recorders write none
            raise NotOpus("laced block")
        packets.append(data[pos + 3 : end])
    return Recording(head=_clean_head(head), packets=packets)


# An Opus packet is at most 120 ms of at most 1275 bytes a frame; more is not Opus. Kept small,
# a packet fits a page with others (at most 255 segments of 255 bytes).
MAX_PACKET = 10_000


# --- Ogg --------------------------------------------------------------------------------------


def from_ogg(data: bytes) -> Recording:
    """The first Opus stream of an Ogg file."""
    source = io.BytesIO(data)
    pages: list[OggPage] = []
    serial = None
    try:
        while source.tell() < len(data):
            page = OggPage(source)  # type: ignore[no-untyped-call]
            if serial is None and page.first and page.packets[0].startswith(b"OpusHead"):
                serial = page.serial
            if page.serial == serial:
                pages.append(page)
    except Exception as exc:  # mutagen raises its own errors, and struct/EOF ones
        raise NotOpus("not Ogg") from exc
    if serial is None:
        raise NotOpus("no Opus stream")
    packets: list[bytes] = OggPage.to_packets(pages)  # type: ignore[no-untyped-call]
    if len(packets) < 2 or not packets[1].startswith(b"OpusTags"):
        raise NotOpus("no Opus tags")
    return Recording(head=_clean_head(packets[0]), packets=packets[2:])


def _clean_head(head: bytes) -> bytes:
    """OpusHead as the decoder needs it (RFC 7845, 5.1), with nothing after it."""
    channels, mapping = head[9], head[18]
    if head[8] >> 4 != 0 or not 1 <= channels <= 2 or mapping != 0:
        raise NotOpus("unsupported Opus header")  # mono or stereo, as a microphone records
    return head[:19]


def to_ogg(recording: Recording) -> tuple[bytes, int]:
    """The recording as a new Ogg Opus file, and its length in samples (after pre-skip)."""
    if not recording.packets:
        raise NotOpus("no sound")
    tags = b"OpusTags" + struct.pack("<I", len(VENDOR)) + VENDOR + struct.pack("<I", 0)
    out = io.BytesIO()
    serial = 0x53545250  # any number: the file has one stream
    sequence = 0

    def page(
        packets: list[bytes], position: int, *, first: bool = False, last: bool = False
    ) -> None:
        nonlocal sequence
        made = OggPage()  # type: ignore[no-untyped-call]
        made.serial, made.sequence, made.position = serial, sequence, position
        made.first, made.last, made.packets, made.complete = first, last, packets, True
        out.write(made.write())  # type: ignore[no-untyped-call]
        sequence += 1

    page([recording.head], 0, first=True)
    page([tags], 0)
    samples = 0
    waiting: list[bytes] = []
    segments = 0
    for number, packet in enumerate(recording.packets):
        if len(packet) > MAX_PACKET:
            raise NotOpus("packet too big")
        samples += packet_samples(packet)
        waiting.append(packet)
        segments += len(packet) // 255 + 1
        # A page holds at most 255 segments; about a second of sound a page.
        if segments > 200 or number == len(recording.packets) - 1:
            page(waiting, samples, last=number == len(recording.packets) - 1)
            waiting, segments = [], 0
    pre_skip = struct.unpack("<H", recording.head[10:12])[0]
    return out.getvalue(), max(samples - pre_skip, 0)


def seconds(ogg: bytes) -> float:
    """How long an Ogg Opus file plays, as mutagen reads it (from its last page's position)."""
    audio = OggOpus(io.BytesIO(ogg))  # type: ignore[no-untyped-call]
    return float(audio.info.length)  # type: ignore[attr-defined]
