# Hörclub: slim multi-stage image; Debian's ffmpeg and espeak-ng (so without the extra "bundled",
# whose wheels carry the same tools); runs as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 hoerclub
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY examples ./examples
RUN mkdir -p /app/data && chown hoerclub:hoerclub /app/data
USER hoerclub
ENV HOERCLUB_DATA_DIR=/app/data PYTHONUNBUFFERED=1
VOLUME ["/app/data"]
CMD ["hoerclub", "bot"]
