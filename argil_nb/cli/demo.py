"""``argil-nb demo``: upload to a sandbox, watch the uploads process, export the table."""

from __future__ import annotations

import pandas as pd

from ..csvio import to_csv
from .terminal import summary_line, watch_table

__all__ = ["run_demo"]

DEMO_FILES = [
    "beach-sunset.mp4",
    "city-timelapse.mov",
    "product-closeup.png",
    "team-photo.jpg",
    "logo-reveal.webm",
    "office-walkthrough.mp4",
    "whiteboard-sketch.png",
    "drone-coastline.mp4",
    "coffee-pour.gif",
    "keynote-stage.jpg",
]


def run_demo(csv_path: str = "argil-demo.csv", count: int = 8, *, overwrite: bool = False) -> int:
    """Start a sandbox (processing 1-5 s), upload ``count`` assets, watch, export to CSV.

    The sandbox is the demo's own, never the user's account, whatever the environment says.
    Returns the exit code: 0, or 130 when Ctrl-C stopped the watch (the table is written).
    """
    from ..sandbox import Sandbox

    # seed 8: of 8 uploads, one fails, so the tour shows both endings.
    with Sandbox(seed=8, processing_seconds=(1.0, 5.0), failure_rate=0.15) as box:
        client = box.client()
        print(f"demo: an offline sandbox of its own on {box.base_url} (never your account)")
        assets = []
        for i in range(count):
            file = DEMO_FILES[i % len(DEMO_FILES)]
            url = f"https://media.example.com/broll/{i:02d}-{file}"
            assets.append(client.create_asset(url))
        print(f"uploaded {len(assets)} assets; watching them process:")
        frame, stopped = watch_table(client, [a.id for a in assets], interval=0.5)
        written = to_csv(frame, csv_path, overwrite=overwrite)
        took = (pd.Timestamp.now(tz="UTC") - frame["created_at"].min()).total_seconds()
        print(f"\n{summary_line(frame)}")
        if stopped:
            print(f"stopped; wrote the table so far to {written}")
            return 130
        print(
            f"all {len(frame)} uploads finished within {took:.0f} s; wrote the table to {written}"
        )
        failed = frame.loc[frame["status"] == "FAILED", "name"].tolist()
        if failed:
            print(f"failed (upload again): {', '.join(failed)}")
    return 0
