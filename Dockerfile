# One image for the three services; docker-compose.yml picks the process with `command:`
# (python -m services.ticketing | services.notifier | services.display).
# Dependencies come from uv.lock exactly (`uv sync --frozen --no-dev`), like `make install`.

FROM python:3.11-slim AS deps
# the uv version the Makefile pins
RUN pip install --no-cache-dir uv==0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
COPY pyproject.toml uv.lock ./
# --no-install-project: the code is copied below and run from /app, not installed
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3.11

FROM python:3.11-slim
# espeak-ng: a fallback only; the lobby board's offline Indonesian voice (display's
# announcement.wav) comes with the locked espeakng-loader wheel in the venv
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin antrian
WORKDIR /app
COPY --from=deps /app/.venv /app/.venv
COPY shared ./shared
COPY services ./services
COPY config ./config
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    ENVIRONMENT=production
USER antrian
EXPOSE 8001 8002 8003
CMD ["python", "-m", "services.ticketing"]
