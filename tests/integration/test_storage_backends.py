"""Blob storage: the same contract over both backends (a folder, and an
S3-compatible object store: moto's server, started here as a real process),
the object store's settings and errors, ``flask storage check``, and the
app on the object store (upload, serving with ranges, the entry PDF, prune)."""
import dataclasses
import io
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from pypdf import PdfReader

from app import create_app
from app.config import ConfigError
from app.enums import Phase
from app.models import Entry
from app.storage import LocalStorage, StorageUnavailable, blob_key, check_storage, init_storage, prune
from app.storage.s3 import S3Settings, S3Storage
from tests.conftest import make_test_config
from tests.factories import jpeg_bytes, photo_bytes

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "showcase-test", "aws_secret_access_key": "showcase-test-secret"}
MALFORMED_KEYS = ["../../etc/passwd", "ab/cd/not-a-digest.jpg", "", "AB/CD/" + "AB" * 32 + ".jpg",
                  "ab/cd/" + "ab" * 32 + ".jpg/../x"]


# --- the object store: moto's S3 server, one process for the module ----------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(port: int, process: subprocess.Popen, log) -> None:
    """Return once the server accepts connections (the signal); fail if it exits.
    The deadline is only a safety net for a server that hangs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"moto's server exited with {process.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"moto's server did not listen on port {port}: {log.read_text()}")


@contextmanager
def moto_server(folder: Path, **environment):
    """A moto S3 server process on a free port (``environment`` added to its
    own); yields its address once it accepts connections."""
    port = _free_port()
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT, env=os.environ | environment)
    try:
        _wait_until_listening(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """The address of a local S3-compatible server (``python -m moto.server``), which accepts any credentials."""
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture
def s3_client(s3_endpoint):
    """A plain boto3 client on the server, to look behind the backend's back."""
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, config=Config(s3={"addressing_style": "path"}),
                        **CREDENTIALS)


@pytest.fixture
def bucket(s3_client) -> str:
    """A new, empty bucket of this test's own."""
    name = f"showcase-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, bucket: str, **overrides) -> S3Settings:
    return S3Settings(**({"bucket": bucket, "prefix": "uploads/", "endpoint_url": endpoint, "region": REGION,
                          "access_key_id": CREDENTIALS["aws_access_key_id"],
                          "secret_access_key": CREDENTIALS["aws_secret_access_key"], "addressing_style": "path"}
                         | overrides))


@pytest.fixture(params=["local", "s3"])
def blobs(request, tmp_path):
    """Each backend in turn, empty."""
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Storage(s3_settings(endpoint, request.getfixturevalue("bucket")))


# --- the contract, on both backends -------------------------------------------------


def test_a_blob_is_stored_under_its_content_key_and_read_back(blobs):
    data = b"%PDF-1.4 " + bytes(range(256)) * 40
    key = blobs.put(data, suffix=".pdf")
    assert key == blob_key(data, ".pdf")
    assert blobs.exists(key) and blobs.size(key) == len(data)
    with blobs.open(key) as file:
        assert file.read() == data
    assert [blob.key for blob in blobs.blobs()] == [key]


def test_an_open_blob_reads_from_any_position(blobs):
    data = bytes(range(256)) * 1000  # 256,000 bytes: more than one read buffer
    key = blobs.put(data, suffix=".bin")
    with blobs.open(key) as file:
        assert file.seekable()
        assert file.seek(0, io.SEEK_END) == len(data)
        assert file.seek(100_000) == 100_000
        assert file.read(10) == data[100_000:100_010]
        assert file.tell() == 100_010
        file.seek(5)
        assert file.read(3) == data[5:8]
        file.seek(-4, io.SEEK_END)
        assert file.read() == data[-4:] and file.read() == b""
        file.seek(0)
        assert file.read() == data


def test_the_same_bytes_keep_one_blob_and_storing_again_refreshes_it(blobs):
    data = jpeg_bytes()
    key = blobs.put(data, suffix=".jpg")
    [first] = blobs.blobs()
    # Object stores keep whole seconds: wait until the clock has passed the next one.
    while time.time() < first.stored_at + 1.01:
        time.sleep(0.05)
    assert blobs.put(data, suffix=".jpg") == key
    [again] = blobs.blobs()
    assert again.key == key and again.stored_at > first.stored_at
    assert blobs.put(data, suffix=".png") != key  # the suffix is part of the key


def test_a_deleted_blob_is_missing(blobs):
    key = blobs.put(b"short-lived", suffix=".txt")
    blobs.delete(key)
    blobs.delete(key)  # deleting what is not stored is no error
    assert not blobs.exists(key)
    with pytest.raises(FileNotFoundError):
        blobs.open(key)
    with pytest.raises(FileNotFoundError):
        blobs.size(key)
    assert list(blobs.blobs()) == []


def test_a_key_never_stored_is_missing(blobs):
    key = blob_key(b"never stored", ".jpg")
    assert not blobs.exists(key)
    with pytest.raises(FileNotFoundError):
        blobs.open(key)
    with pytest.raises(FileNotFoundError):
        blobs.size(key)


@pytest.mark.parametrize("key", MALFORMED_KEYS)
def test_a_malformed_key_is_refused(blobs, key):
    assert blobs.exists(key) is False
    for operation in (blobs.open, blobs.size, blobs.delete):
        with pytest.raises(ValueError):
            operation(key)


def test_prune_deletes_only_unreferenced_blobs_stored_long_enough_ago(blobs):
    kept, unused = blobs.put(b"referenced", suffix=".jpg"), blobs.put(b"unused", suffix=".jpg")
    assert prune(blobs, referenced={kept}, older_than=timedelta(hours=1)) == []
    assert prune(blobs, referenced={kept}, older_than=timedelta(0)) == [unused]
    assert [blob.key for blob in blobs.blobs()] == [kept]


def test_the_storage_check_stores_reads_and_deletes_a_probe(blobs):
    key = check_storage(blobs)
    assert key.endswith(".probe") and not blobs.exists(key)
    assert list(blobs.blobs()) == []


# --- the object store's own side -----------------------------------------------------


def test_objects_are_named_by_prefix_and_key_and_typed(s3_endpoint, s3_client, bucket):
    blobs = S3Storage(s3_settings(s3_endpoint, bucket, prefix="showcase/uploads/"))
    key = blobs.put(jpeg_bytes(), suffix=".jpg")
    head = s3_client.head_object(Bucket=bucket, Key=f"showcase/uploads/{key}")
    assert head["ContentType"] == "image/jpeg"
    # Objects outside the prefix, or not named like a blob, are neither listed nor pruned.
    s3_client.put_object(Bucket=bucket, Key="other/" + key, Body=b"x")
    s3_client.put_object(Bucket=bucket, Key="showcase/uploads/README.txt", Body=b"x")
    assert [blob.key for blob in blobs.blobs()] == [key]
    assert prune(blobs, referenced=set(), older_than=timedelta(0)) == [key]
    names = sorted(item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"])
    assert names == ["other/" + key, "showcase/uploads/README.txt"]


def test_listing_follows_every_page(s3_endpoint, bucket):
    blobs = S3Storage(s3_settings(s3_endpoint, bucket), page_size=2)
    keys = sorted(blobs.put(f"blob {n}".encode(), suffix=".txt") for n in range(5))
    assert sorted(blob.key for blob in blobs.blobs()) == keys


def test_a_missing_bucket_is_named_in_the_error(s3_endpoint):
    blobs = S3Storage(s3_settings(s3_endpoint, "no-such-bucket-here"))
    with pytest.raises(StorageUnavailable, match="the bucket 'no-such-bucket-here' does not exist: create it, or correct S3_BUCKET"):
        blobs.put(b"data", suffix=".txt")
    with pytest.raises(StorageUnavailable, match="does not exist"):
        list(blobs.blobs())


def test_an_object_store_that_does_not_answer_is_reported(bucket):
    blobs = S3Storage(s3_settings(f"http://127.0.0.1:{_free_port()}", bucket))
    with pytest.raises(StorageUnavailable, match="cannot be used: Could not connect"):
        blobs.size(blob_key(b"x", ".jpg"))


@pytest.fixture(scope="module")
def s3_with_credentials(tmp_path_factory):
    """An S3 server that checks credentials: its address, a bucket, and the one access key it knows.

    moto checks them once its first few requests (here: making the key, its
    policy and the bucket) are done."""
    with moto_server(tmp_path_factory.mktemp("moto-auth"), INITIAL_NO_AUTH_ACTION_COUNT="4") as endpoint:
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)
        iam.create_user(UserName="showcase")
        iam.put_user_policy(UserName="showcase", PolicyName="uploads", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="showcase")["AccessKey"]
        settings = s3_settings(endpoint, "showcase-auth", access_key_id=key["AccessKeyId"],
                               secret_access_key=key["SecretAccessKey"])
        S3Storage(settings).client.create_bucket(Bucket=settings.bucket)
        yield settings


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, None),
        ({"secret_access_key": "not-the-secret"}, "the object store refuses the secret key: check S3_SECRET_ACCESS_KEY"),
        ({"access_key_id": "AKIAUNKNOWN000000000"}, "the object store does not know the access key: check S3_ACCESS_KEY_ID"),
    ],
    ids=["right", "wrong-secret", "unknown-key"],
)
def test_credentials_the_object_store_refuses_are_named(s3_with_credentials, credentials, message):
    blobs = S3Storage(dataclasses.replace(s3_with_credentials, **credentials))
    if message is None:
        assert check_storage(blobs).endswith(".probe")
        return
    with pytest.raises(StorageUnavailable, match=message):
        check_storage(blobs)
    with pytest.raises(StorageUnavailable, match="access denied: check S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"):
        blobs.exists(blob_key(b"x", ".jpg"))  # HEAD: a bare 403


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "STORAGE_BACKEND is s3 but S3_BUCKET is not set"),
        ({"S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "key"}, "Set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither"),
        ({"S3_BUCKET": "b", "S3_ADDRESSING_STYLE": "dns"}, "S3_ADDRESSING_STYLE must be one of auto, path, virtual, not 'dns'"),
        ({"S3_BUCKET": "b", "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL must start with http:// or https://"),
    ],
    ids=["no-bucket", "half-credentials", "addressing-style", "endpoint"],
)
def test_incomplete_object_store_settings_stop_the_start(database_url, tmp_path, settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app(make_test_config(database_url, tmp_path, STORAGE_BACKEND="s3", **settings))


def test_an_unknown_backend_stops_the_start(database_url, tmp_path):
    with pytest.raises(ConfigError, match="STORAGE_BACKEND must be one of local, s3, not 'ftp'"):
        create_app(make_test_config(database_url, tmp_path, STORAGE_BACKEND="ftp"))


def test_settings_are_read_from_the_configuration():
    config = {"S3_BUCKET": " showcase ", "S3_PREFIX": "/prod/uploads/", "S3_ENDPOINT_URL": "https://oss.example.cn",
              "S3_REGION": "cn-south-1", "S3_ACCESS_KEY_ID": "", "S3_SECRET_ACCESS_KEY": "", "S3_ADDRESSING_STYLE": ""}
    assert S3Settings.from_config(config) == S3Settings(
        bucket="showcase", prefix="prod/uploads/", endpoint_url="https://oss.example.cn", region="cn-south-1",
        access_key_id=None, secret_access_key=None, addressing_style="auto")


# --- the app on the object store -------------------------------------------------------


@pytest.fixture
def s3_app(app, s3_endpoint, bucket, monkeypatch):
    """The test app with STORAGE_BACKEND=s3 (settings as in production), back to its folder afterwards."""
    for name, value in {"STORAGE_BACKEND": "s3", "S3_BUCKET": bucket, "S3_PREFIX": "uploads", "S3_ENDPOINT_URL": s3_endpoint,
                        "S3_REGION": REGION, "S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
                        "S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"], "S3_ADDRESSING_STYLE": "path"}.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.extensions, "storage", app.extensions["storage"])
    init_storage(app)
    assert isinstance(app.extensions["storage"], S3Storage)
    return app


def _object(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=f"uploads/{key}")["Body"].read()


def test_an_applicant_s_photo_lives_in_the_object_store(s3_app, client, session, make, login, runner, s3_client, bucket):
    applicant = login(make.applicant())
    entry = make.entry(call=make.call(open_phase=Phase.SUBMISSION), organisation=applicant.organisation, photos=0)
    for seed in (1, 2):
        session.expire_all()
        version = session.get(Entry, entry.id).version
        response = client.post(f"/entries/{entry.id}/photos", content_type="multipart/form-data",
                               data={"version": version, "caption": f"现场{seed}",
                                     "photo": (io.BytesIO(photo_bytes(seed)), f"photo{seed}.jpg")})
        assert response.status_code == 302
    session.expire_all()
    first, second = session.get(Entry, entry.id).photos
    keys = [getattr(photo, f"{size}_key") for photo in (first, second) for size in ("master", "display", "thumb")]
    # In the bucket, under the prefix; nothing in the upload folder.
    assert sorted(item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"]) == sorted(
        f"uploads/{key}" for key in set(keys))
    folder = LocalStorage(s3_app.config["UPLOAD_FOLDER"])
    assert not any(folder.exists(key) for key in keys)

    # Served back, whole and by range.
    stored = _object(s3_client, bucket, first.display_key)
    url = f"/entries/{entry.id}/photos/{first.id}/display.jpg"
    with client.get(url) as response:
        assert response.status_code == 200 and response.data == stored
        assert response.headers["Content-Length"] == str(len(stored)) and response.headers["Accept-Ranges"] == "bytes"
    with client.get(url, headers={"Range": "bytes=1000-1999"}) as response:
        assert response.status_code == 206 and response.data == stored[1000:2000]
        assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(stored)}"
    with client.get(url, headers={"If-None-Match": f'"{first.display_key.rsplit("/", 1)[1]}"'}) as response:
        assert response.status_code == 304

    # In the application form PDF, the very bytes of the display rendition.
    with client.get(f"/entries/{entry.id}/application.pdf") as response:
        assert response.status_code == 200
        reader = PdfReader(io.BytesIO(response.data))
    images = [xobject.get_object() for page in reader.pages
              for xobject in (page["/Resources"].get("/XObject") or {}).values()
              if xobject.get_object()["/Subtype"] == "/Image"]
    assert stored in [image.get_data() for image in images]

    # A removed photo's objects are pruned; the other photo's stay.
    response = client.post(f"/entries/{entry.id}/photos/{first.id}/delete", data={"version": session.get(Entry, entry.id).version})
    assert response.status_code == 302
    result = runner.invoke(args=["storage", "prune", "--older-than-hours", "0"])
    assert result.exit_code == 0, result.output
    assert result.output == "Removed 3 unused file(s).\n"
    left = sorted(item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"])
    assert left == sorted(f"uploads/{key}" for key in (second.master_key, second.display_key, second.thumb_key))


def test_flask_storage_check_reports_the_object_store(s3_app, runner, s3_client, bucket):
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert f"Storage: the bucket '{bucket}' (prefix 'uploads/') at " in result.output
    assert "OK: stored, read back, listed and deleted a probe file" in result.output
    assert "Contents" not in s3_client.list_objects_v2(Bucket=bucket)


def test_flask_storage_check_says_what_is_wrong(s3_app, runner, monkeypatch):
    monkeypatch.setitem(s3_app.config, "S3_BUCKET", "showcase-missing")
    init_storage(s3_app)
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 1
    assert "Error: the bucket 'showcase-missing' (prefix 'uploads/') at http://127.0.0.1:" in result.output
    assert "the bucket 'showcase-missing' does not exist: create it, or correct S3_BUCKET" in result.output


def test_flask_storage_check_on_the_folder(app, runner):
    result = runner.invoke(args=["storage", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Storage: the folder {app.config['UPLOAD_FOLDER']}\nOK: ")
