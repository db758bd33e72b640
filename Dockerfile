# The line as a container: gunicorn (`voiceline serve`) on $PORT (8000), as a non-root user.
# Secrets come from the environment at run time (docker run --env-file .env, or
# compose.yaml), never from the image. Without DATABASE_URL it keeps SQLite in /data.
#   docker build -t voiceline .
#   docker run --env-file .env -p 8000:8000 -v voiceline-data:/data voiceline

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md LICENSE ./
COPY voiceline ./voiceline
COPY prompts ./prompts
# The line's wheel (with its shipped words) and every dependency's, for an offline install.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    DATABASE_URL=sqlite:////data/voiceline.sqlite3
RUN useradd --system --create-home --uid 10001 voiceline \
    && mkdir /data && chown voiceline /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels voiceline && rm -rf /wheels
USER voiceline
WORKDIR /home/voiceline
VOLUME /data
EXPOSE 8000
# /healthz answers 503 only when no prompt files could ever be loaded (a database that
# is down is "degraded" but still 200: calls are answered in full).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/healthz', timeout=4)"]
CMD ["voiceline", "serve"]
