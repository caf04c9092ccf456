import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import os

    import marimo as mo

    import argil_nb as an

    mo.md(
        """
        # Watch uploads process, in marimo

        `an.watch(ids)` as a cell's last expression shows the live panel here too: it is one
        anywidget, which marimo draws. Runs offline against the embedded sandbox unless
        `ARGIL_API_KEY` is set. Run it with `marimo run notebooks/05_watch_in_marimo.py`.
        """
    )
    return an, os


@app.cell
def _(an, os):
    offline = not os.environ.get("ARGIL_API_KEY")  # no key: the offline sandbox, on purpose
    client = an.connect(sandbox=offline, sandbox_options={"speed": 2.0, "failure_rate": 0.3})
    files = [
        "beach-sunset.mp4", "city-timelapse.mov", "product-closeup.png", "team-photo.jpg",
        "logo-reveal.webm", "office-walkthrough.mp4",
    ]
    ids = [client.create_asset(f"https://media.example.com/broll/{name}").id for name in files]
    return client, ids


@app.cell
def _(an, client, ids):
    panel = an.watch(ids, client=client, interval=0.5)
    panel
    return


if __name__ == "__main__":
    app.run()
