"""What an AudioMoth comment says of the recorder's settings and state, in every wording.

Gain, battery, temperature, deployment, microphone, filter, trigger, why the recording
stopped, and the firmware generation that the wording gives away (the table of wordings per
firmware is in :mod:`core.metadata.audiomoth`, which reads the time and the serial).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: Gain settings by index, as in the firmware's ``gainSettings`` table and GUANO ``GAIN n``.
GAIN_WORDS = ("low", "low-medium", "medium", "medium-high", "high")

#: ``during deployment <id>`` (1.5.0+); it also marks a comment that names no serial as
#: an AudioMoth's.
DEPLOYMENT = re.compile(r"\bduring deployment (?P<id>[0-9A-Fa-f]{16})\b")
_GAIN = re.compile(
    r"\bat (?:gain setting (?P<number>\d+)"
    r"|(?P<word>low-medium|medium-high|low|medium|high) gain(?P<setting> setting)?)\b"
)
_BATTERY = re.compile(
    r"\bwhile battery (?:state )?was (?P<cond>less than |greater than |< |> )?"
    r"(?P<volts>\d+\.\d+)V(?P<period>\.)?"
)
_TEMPERATURE = re.compile(r"\btemperature was (?P<celsius>-?\d+(?:\.\d+)?)C")
_NUMBER = r"\d+(?:\.\d+)?"
_FILTER = re.compile(
    rf"\b(?P<kind>Low|Band|High)-pass filter (?:applied )?with (?:cut-off )?"
    rf"frequenc(?:y|ies) of (?P<first>{_NUMBER})kHz(?: and (?P<second>{_NUMBER})kHz)?"
)
_AMPLITUDE = re.compile(
    rf"\bAmplitude threshold was (?P<value>{_NUMBER}%|-?\d+ ?dB|\d+)"
    r"(?: with (?P<duration>\d+)s minimum trigger duration)?"
)
_FREQUENCY = re.compile(
    rf"\bFrequency trigger \((?P<centre>{_NUMBER})kHz and window length of (?P<window>\d+) "
    rf"samples\) threshold was (?P<value>{_NUMBER}%)"
    r"(?: with (?P<duration>\d+)s minimum trigger duration)?"
)
_STOP = re.compile(
    r"\bRecording (?:cancelled before completion due to |stopped due to |stopped )"
    r"(?P<reason>[^.]*)\."
)
# Every reason any firmware wrote, mapped onto one wording per cause.
_STOP_REASONS = {
    "low battery voltage": "low voltage",
    "low voltage": "low voltage",
    "change of switch position": "switch position change",
    "switch position change": "switch position change",
    "microphone change": "microphone change",
    "file size limit": "file size limit",
    "total file size limit": "total file size limit",
    "by magnetic switch": "magnetic switch",
    "sd card write error": "SD card write error",
}
_CONDITIONS = {
    "less than ": "less than",
    "< ": "less than",
    "greater than ": "greater than",
    "> ": "greater than",
}


@dataclass(frozen=True)
class CommentSettings:
    """The settings and state a comment states (``AudioMothComment`` adds time and serial)."""

    gain: str | None = None
    battery_v: float | None = None
    battery_condition: str | None = None
    temperature_c: float | None = None
    deployment_id: str | None = None
    external_microphone: bool | None = None
    filter: str | None = None
    trigger: str | None = None
    stop_reason: str | None = None
    firmware_hint: str | None = None


def parse_comment_settings(
    text: str, *, tz_text: str | None, artist: str | None = None
) -> CommentSettings:
    """Read the settings phrases of an AudioMoth comment (NUL tail already cut off).

    Parameters
    ----------
    text
        The comment.
    tz_text
        What the opening wrote inside ``(UTC...)`` (``""``, ``"+1"``, ``"-7:30"``), or
        ``None`` without a zone: firmware 1.0.0, which also printed 4.5 V as ``4.05V``.
    artist
        The ``IART`` text, which only newer firmware wrote (part of the firmware hint).

    Returns
    -------
    CommentSettings
        Every phrase found; ``None`` for the others.
    """
    gain = _GAIN.search(text)
    battery = _BATTERY.search(text)
    temperature = _TEMPERATURE.search(text)
    deployment = DEPLOYMENT.search(text)
    stop = _STOP.search(text)
    stop_reason = None
    if stop:
        reason = stop["reason"].strip()
        stop_reason = _STOP_REASONS.get(reason.lower(), reason)
    new_wording = bool(gain and gain["word"] and not gain["setting"])
    external = "using external microphone" in text
    says_microphone = new_wording or deployment is not None or stop_reason == "microphone change"
    return CommentSettings(
        gain=(gain["word"] or gain["number"]) if gain else None,
        battery_v=_battery_volts(battery, old_format=tz_text is None) if battery else None,
        battery_condition=_CONDITIONS.get(battery["cond"] or "") if battery else None,
        temperature_c=_finite(temperature["celsius"]) if temperature else None,
        deployment_id=deployment["id"].upper() if deployment else None,
        external_microphone=True if external else (False if says_microphone else None),
        filter=_filter(text),
        trigger=_trigger(text),
        stop_reason=stop_reason,
        firmware_hint=_firmware_hint(text, tz_text, gain, battery, artist, stop_reason),
    )


def _finite(number: str) -> float | None:
    # A damaged comment can hold "999...9": never let it become Infinity.
    value = float(number)
    return value if math.isfinite(value) else None


def _battery_volts(match: re.Match[str], *, old_format: bool) -> float | None:
    volts = match["volts"]
    # Firmware 1.0.0 printed the tenths with "%02d": 4.5 V came out as "4.05V".
    if old_format and re.fullmatch(r"\d\.0\d", volts):
        volts = f"{volts[0]}.{volts[-1]}"
    return _finite(volts)


def _filter(text: str) -> str | None:
    match = _FILTER.search(text)
    if match is None:
        return None
    kind = match["kind"].lower()
    if kind == "band" and match["second"]:
        return f"band-pass {match['first']}-{match['second']} kHz"
    return f"{kind}-pass {match['first']} kHz"


def _trigger(text: str) -> str | None:
    if match := _FREQUENCY.search(text):
        described = (
            f"frequency {match['centre']} kHz, {match['window']}-sample window, {match['value']}"
        )
    elif match := _AMPLITUDE.search(text):
        described = "amplitude " + re.sub(r"\s*dB", " dB", match["value"])
    else:
        return None
    if match["duration"] is not None:
        described += f", {match['duration']} s minimum"
    return described


def _firmware_hint(
    text: str,
    tz_text: str | None,
    gain: re.Match[str] | None,
    battery: re.Match[str] | None,
    artist: str | None,
    stop_reason: str | None,
) -> str | None:
    if gain is None:
        return None
    if gain["word"] and not gain["setting"]:
        if _FREQUENCY.search(text) or stop_reason == "SD card write error":
            return "1.8.0+"
        amplitude, filtered = _AMPLITUDE.search(text), _FILTER.search(text)
        if amplitude and filtered:
            return "1.8.0+" if amplitude.start() > filtered.start() else "1.6.0-1.7.x"
        return "1.7.0+" if stop_reason == "magnetic switch" else "1.6.0+"
    if gain["word"]:
        newer = DEPLOYMENT.search(text) or "external microphone" in text
        return "1.5.x" if newer or stop_reason == "microphone change" else "1.4.0-1.5.x"
    if tz_text is None:
        return "1.0.0"
    if tz_text == "" and battery is not None and not battery["period"]:
        return "1.0.1-1.1.x"
    if battery is not None and battery["cond"] in ("< ", "> "):
        return "1.2.0"
    if artist or stop_reason or (battery is not None and battery["cond"]) or ":" in tz_text:
        return "1.2.1-1.3.x"
    return "1.2.0-1.3.x"
