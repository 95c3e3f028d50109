# syntax=docker/dockerfile:1
# RanaWatch: the package, its pinned stack (constraints.txt) and the Prefect CLI, for the
# Prefect server, the workers and the one-shot services of docker-compose.yml.
#
#   docker build -t ranawatch:cpu .
#   docker build -t ranawatch:gpu --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .
#
# Only the PyTorch build differs between the two images: the CPU wheels keep the image
# small for the server and the CPU workers; the CUDA wheels bring their own CUDA runtime,
# so the GPU host only needs the NVIDIA driver and the NVIDIA container toolkit.
FROM python:3.11-slim

# Wheel index for torch/torchvision/torchaudio: .../whl/cpu, .../whl/cu126, .../whl/cu128.
# (PyPI's own torch 2.11 wheels are CUDA 13, which needs a driver >= 580.)
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CONSTRAINT=/opt/ranawatch/constraints.txt \
    RANAWATCH_DATA_DIR=/data

WORKDIR /opt/ranawatch

# PyTorch first: the versions come from constraints.txt, the index picks the CPU or CUDA
# build (a local version such as 2.11.0+cpu satisfies the pin torch==2.11.0).
COPY constraints.txt ./
RUN pip install --index-url "${TORCH_INDEX_URL}" --extra-index-url https://pypi.org/simple \
        torch torchvision torchaudio

# The remaining dependencies in their own layer, so that editing the code does not
# reinstall them: install the project once with empty packages, then drop it.
COPY pyproject.toml README.md ./
RUN mkdir -p core db flows dashboard cli \
    && pip install . \
    && pip uninstall -y ranawatch \
    && rm -rf build core db flows dashboard cli

# The code itself. prefect.yaml and scripts/ stay in the working directory: the `deploy`
# service runs scripts/deploy.sh here, and workers start their runs here.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && useradd --create-home --uid 1000 ranawatch \
    && mkdir -p /data \
    && chown ranawatch:ranawatch /data

USER ranawatch
CMD ["ranawatch", "--help"]
