"""Header names of the report sheets, named once.

The writers (Excel, CSV, Raven) and the readers (the dashboard, tests) refer to columns by
these constants, never by retyping the header text, so renaming a header is a one-line
change that cannot leave a writer looking up a column that no longer exists.
"""

from __future__ import annotations


class ResultsCol:
    """Columns of the Results sheet (one row per recording)."""

    MODEL = "Model Name : Version"
    FILE_NAME = "File Name"
    PREDICTION = "Prediction"
    TIMES_HEARD = "Times Heard"
    DEVICE_ID = "Device ID"
    TIMESTAMP = "Timestamp"
    TEMPERATURE = "Temperature"
    REVIEW_DATE = "Review Date"
    EVENTS = "Events"
    REVIEW_RESULT = "Review Result"
    DURATION_S = "Duration (s)"
    TEMPERATURE_C = "Temperature (C)"
    RECORDED_UTC = "Recorded (UTC)"
    RECORDED_LOCAL = "Recorded (Local)"
    NIGHT = "Night"
    STATUS = "Status"
    ERROR = "Error"

    @staticmethod
    def max_score(label: str) -> str:
        """``Max Score (<label>)``: the label's best window score in the recording."""
        return f"Max Score ({label})"

    @staticmethod
    def positive_windows(label: str) -> str:
        """``Positive Windows (<label>)``: windows positive for the label."""
        return f"Positive Windows ({label})"

    @staticmethod
    def times_heard(label: str) -> str:
        """``Times Heard (<label>)``, written when a model has several target labels."""
        return f"Times Heard ({label})"


class DetectionsCol:
    """Columns of the Detections sheet (one row per event)."""

    FILE_NAME = "File Name"
    DEVICE_ID = "Device ID"
    START_S = "Start (s)"
    END_S = "End (s)"
    CALL_TIME_LOCAL = "Call Time (Local)"
    LABEL = "Label"
    MAX_SCORE = "Max Score"
    MEAN_SCORE = "Mean Score"
    VERDICT = "Verdict"
    REVIEWER = "Reviewer"
    REVIEWED_UTC = "Reviewed (UTC)"
    NOTE = "Note"


class SurveyCol:
    """Columns of the Survey sheet (one row per occasion)."""

    OCCASION = "Occasion (First Night)"
    LAST_NIGHT = "Last Night"
    EFFORT = "Usable Audio (min)"
    TEMPERATURE = "Mean Temperature (C)"

    @staticmethod
    def detected(label: str, rule: str) -> str:
        """``Detected (<label>, <rule>)``: 1, 0 or NA."""
        return f"Detected ({label}, {rule})"

    @staticmethod
    def first_call_hour(label: str) -> str:
        """``First Call Hour (<label>)``: hours from 00:00 of the evening date."""
        return f"First Call Hour ({label})"


DETECTIONS_COLUMNS: tuple[str, ...] = (
    DetectionsCol.FILE_NAME,
    DetectionsCol.DEVICE_ID,
    DetectionsCol.START_S,
    DetectionsCol.END_S,
    DetectionsCol.CALL_TIME_LOCAL,
    DetectionsCol.LABEL,
    DetectionsCol.MAX_SCORE,
    DetectionsCol.MEAN_SCORE,
    DetectionsCol.VERDICT,
    DetectionsCol.REVIEWER,
    DetectionsCol.REVIEWED_UTC,
    DetectionsCol.NOTE,
)

RESULTS_COLUMNS: tuple[str, ...] = (
    ResultsCol.MODEL,
    ResultsCol.FILE_NAME,
    ResultsCol.PREDICTION,
    ResultsCol.TIMES_HEARD,
    ResultsCol.DEVICE_ID,
    ResultsCol.TIMESTAMP,
    ResultsCol.TEMPERATURE,
    ResultsCol.REVIEW_DATE,
)
