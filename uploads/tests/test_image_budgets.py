"""Image work has a budget: pixels x frames per image, and a few image jobs at a time per process."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from uploads import images
from uploads.images import ImageJobs, ImageWorkBusy, process_image
from uploads.models import Upload
from uploads.tests import samples

BUDGET_ERROR = {"error": "Image has too many pixels: width x height x frames may be at most 25,000,000"}


@pytest.mark.django_db
def test_animated_gif_over_the_pixel_budget_is_refused_before_decoding(upload_file, user):
    bomb = samples.animated_gif(5000, 5000, 2)  # 50 megapixels once decoded, ~40 KB uploaded
    assert len(bomb) < 64 * 1024
    started = time.monotonic()
    response = upload_file(user, "bomb.gif", bomb)
    elapsed = time.monotonic() - started
    assert (response.status_code, response.json()) == (400, BUDGET_ERROR)
    assert elapsed < 2  # decoding both frames took ~3 s of CPU
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_animation_within_the_budget_is_stored_with_every_frame(upload_file, user):
    response = upload_file(user, "small.gif", samples.animated_gif(100, 100, 3))
    assert response.status_code == 201, response.json()
    assert (response.json()["width"], response.json()["height"]) == (100, 100)


@pytest.fixture
def slow_jobs(monkeypatch):
    """One image job at a time and one waiting; each job holds its turn until `release` is set."""
    jobs = ImageJobs(running=1, waiting=1, wait_seconds=5)
    monkeypatch.setattr(images, "image_jobs", lambda: jobs)
    release, state = threading.Event(), {"running": 0, "most": 0, "started": threading.Semaphore(0)}
    lock = threading.Lock()
    original = images._process

    def slow_process(image, fmt):
        with lock:
            state["running"] += 1
            state["most"] = max(state["most"], state["running"])
        state["started"].release()
        try:
            assert release.wait(10)
            return original(image, fmt)
        finally:
            with lock:
                state["running"] -= 1

    monkeypatch.setattr(images, "_process", slow_process)
    return release, state


def _png(name: str = "pic.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.image_bytes("PNG"))


def test_image_jobs_run_one_at_a_time_and_uploads_past_the_waiting_room_get_busy(slow_jobs):
    release, state = slow_jobs
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(process_image, _png(), "png")
        assert state["started"].acquire(timeout=5)  # the first job holds the only turn
        waiting = pool.submit(process_image, _png(), "png")
        deadline = time.monotonic() + 5
        while images.image_jobs().in_use < 2 and time.monotonic() < deadline:
            time.sleep(0.01)  # until the second upload is in the waiting room
        third = _png()
        started = time.monotonic()
        with pytest.raises(ImageWorkBusy) as busy:
            process_image(third, "png")
        # Answered at once, not after the 5 s wait; the margin is for a machine busy with other tests.
        assert time.monotonic() - started < 2.5
        assert busy.value.status_code == 503
        release.set()
        assert first.result(10).width == waiting.result(10).width == 40
    assert state["most"] == 1


def test_a_waiting_image_job_gives_up_after_the_wait(monkeypatch):
    jobs = ImageJobs(running=1, waiting=1, wait_seconds=1)
    monkeypatch.setattr(images, "image_jobs", lambda: jobs)
    with jobs.turn():  # another upload's image is being processed all along
        started = time.monotonic()
        with pytest.raises(ImageWorkBusy):
            process_image(_png(), "png")
        assert 0.9 < time.monotonic() - started < 3


@pytest.mark.django_db
def test_busy_image_work_answers_503_with_retry_after(upload_file, user, monkeypatch):
    jobs = ImageJobs(running=1, waiting=0, wait_seconds=1)
    monkeypatch.setattr(images, "image_jobs", lambda: jobs)
    with jobs.turn():
        response = upload_file(user, "pic.png", samples.image_bytes("PNG"))
    assert response.status_code == 503
    assert response.json() == {"error": "Too many images are being processed right now; try again in a few seconds"}
    assert response["Retry-After"] == "5"
    assert not Upload.objects.exists()
    assert upload_file(user, "pic.png", samples.image_bytes("PNG")).status_code == 201  # once the turn is free
