"""When each RanaWatch flow runs, written once.

``prefect.yaml`` (for ``prefect deploy`` and docker compose) and ``ranawatch serve`` (for a
single machine without docker) both run the same three scheduled deployments
(:data:`DEPLOYMENTS`); ``prefect.yaml`` also lists the deployments started by hand
(:data:`ON_DEMAND`: training), which ``ranawatch serve`` does not run. The plans below are
their single source: ``ranawatch serve`` builds its deployments from them, and a test checks
that every deployment in ``prefect.yaml`` says the same thing. Change a schedule here and in
``prefect.yaml`` together; the test fails until both agree.

This module is plain data: it imports neither prefect nor the flows, so that reading a
schedule never loads the model stack.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Event an ingest run emits when it stored new recordings; it starts detection. A custom
#: event rather than Prefect's ``prefect.flow-run.Completed``: Prefect 3.8's trigger service
#: holds back the state events of *scheduled* runs (their "Scheduled" event is never
#: emitted), so a trigger on Completed fires minutes late or not at all after a scheduled
#: ingest, while a custom event from inside the run is seen at once.
INGESTED_EVENT = "ranawatch.recordings.ingested"

#: Resource id pattern of :data:`INGESTED_EVENT` (``ranawatch.ingest.<flow run id>``).
INGESTED_RESOURCE = "ranawatch.ingest.*"

#: Time zone of the nightly schedule: the species lives in California, and "after the
#: night's chorus" only means something in the recorders' local time.
LOCAL_TIMEZONE = "America/Los_Angeles"


@dataclass(frozen=True)
class DeploymentPlan:
    """One deployment of one flow: where it runs and what starts it.

    Parameters
    ----------
    name
        Deployment name; runs are addressed as ``<flow_name>/<name>``.
    flow_name
        The ``@flow(name=...)`` of the flow it runs.
    entrypoint
        ``module:function`` of the flow, importable from the installed package.
    work_pool
        Prefect work pool whose workers pick up its runs (``cpu`` or ``gpu``).
    interval_min
        Run every this many minutes, or ``None``.
    cron
        Cron expression in ``timezone``, or ``None``.
    timezone
        IANA time zone of ``cron``.
    after_flow
        Also run whenever a run of the flow with this name announces new recordings
        (:data:`INGESTED_EVENT`), or ``None``.
    description
        One line for the Prefect UI.
    """

    name: str
    flow_name: str
    entrypoint: str
    work_pool: str
    interval_min: int | None = None
    cron: str | None = None
    timezone: str = LOCAL_TIMEZONE
    after_flow: str | None = None
    description: str = ""

    @property
    def full_name(self) -> str:
        """``<flow_name>/<name>``, as ``prefect deployment run`` expects it."""
        return f"{self.flow_name}/{self.name}"


INGEST = DeploymentPlan(
    name="scheduled",
    flow_name="ingest-recordings",
    entrypoint="flows.ingest:ingest_recordings",
    work_pool="cpu",
    # AudioMoth files are closed every few minutes at most; a quarter hour keeps the
    # database close behind the cards without rescanning the folders constantly.
    interval_min=15,
    description="Scan the audio folders for new or changed WAV/FLAC files and store them.",
)

DETECT = DeploymentPlan(
    name="gpu",
    flow_name="detect-calls",
    entrypoint="flows.detect:detect_calls",
    work_pool="gpu",
    # The trigger (after_flow) starts detection when an ingest stored new recordings; the
    # hourly run picks up what a crashed run left pending.
    interval_min=60,
    after_flow=INGEST.flow_name,
    description="Score pending recordings with the AST model and store the detections.",
)

REPORT = DeploymentPlan(
    name="nightly",
    flow_name="write-site-reports",
    entrypoint="flows.report:write_site_reports",
    work_pool="cpu",
    # Early morning, local time: after the night's calling, so each report covers whole
    # nights rather than stopping mid-chorus.
    cron="0 6 * * *",
    description="Write the per-site reports from the stored detections.",
)

#: Every deployment, in the order they are listed in ``prefect.yaml``.
DEPLOYMENTS: tuple[DeploymentPlan, ...] = (INGEST, DETECT, REPORT)

TRAIN = DeploymentPlan(
    name="on-demand",
    flow_name="train-model",
    entrypoint="flows.train:train_model",
    work_pool="gpu",
    description="Fine-tune an AST on a prepared data set, evaluate it and register it.",
)

#: Deployments started by hand (no schedule, no trigger), listed in ``prefect.yaml`` after
#: :data:`DEPLOYMENTS`; ``ranawatch serve`` does not run them.
ON_DEMAND: tuple[DeploymentPlan, ...] = (TRAIN,)
