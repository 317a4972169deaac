# Hörclub: slim multi-stage image; Debian's ffmpeg and espeak-ng (so without the extra "bundled",
# whose wheels carry the same tools); runs as a non-root user and on a read-only root filesystem:
# it writes only to the data volume (/app/data) and to /tmp (a tmpfs in compose.yaml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# The extra "postgres" (asyncpg) for the fleet's database; the Redis client is a core dependency.
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 hoerclub \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp hoerclub
COPY --from=build /wheels /wheels
# pip compiles the bytecode here, while the filesystem is still writable.
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY examples ./examples
RUN mkdir -p /app/data && chown hoerclub:hoerclub /app/data
USER 10001:10001
# Nothing may be written outside /app/data and /tmp: no bytecode next to the sources, and HOME,
# caches and temporary files under /tmp.
ENV HOERCLUB_DATA_DIR=/app/data \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_CONFIG_HOME=/tmp/.config \
    TMPDIR=/tmp
VOLUME ["/app/data"]
CMD ["hoerclub", "bot"]
