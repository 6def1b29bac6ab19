#!/usr/bin/env bash
# How the shipped models in handsynth/weights/ were made, end to end. Seeds are fixed (--seed 0),
# so the runs are reproducible up to floating-point differences between machines.
# Usage: scripts/train_shipped.sh SHARED_DATA_DIR WORK_DIR
set -euo pipefail
shared=${1:?give the shared data folder (holding iamondb-t2-trainval.tar.gz, iamondb-splits, text)}
work=${2:?give a work folder outside the repository}
mkdir -p "$work/iam"
tar xzf "$shared/iamondb-t2-trainval.tar.gz" -C "$work/iam"
handsynth prepare --iam-root "$work/iam" --out "$work/prepared" --quiet \
    --splits "$shared/iamondb-splits" --blacklist "$shared/iamondb-splits/blacklist.npy"

# Synthesis network: 3 layers of 256 (the paper has 400) with K=20 and 10 window Gaussians, batch
# 16. On a 2-core CPU this makes about four times as many updates per hour as 3x400 at batch 32,
# and the attention window needs updates to learn to read. Adam at 1e-3 learns faster than the
# paper's RMSProp at 1e-4 in a short budget. Stop it whenever (Ctrl-C saves); the shipped file is
# exported from best.pt, or last.pt before the first epoch ends. To continue from the shipped
# weights instead, add --init-from handsynth/weights/synthesis.safetensors (and drop the sizes).
handsynth train synthesis --data "$work/prepared" --out "$work/runs/synthesis" \
    --optimizer adam --lr 1e-3 --hidden-size 256 --batch-size 16 --checkpoint-every 25 \
    --epochs 50 --seed 0
# Char-level Penn Treebank text network (1x256, embedding 64), two epochs.
handsynth train text --data "$shared/text/ptb.zip" --level char --out "$work/runs/ptb-char" \
    --optimizer adam --lr 2e-3 --hidden-size 256 --embedding-size 64 --batch-size 32 --epochs 2 \
    --checkpoint-every 100 --seed 0

synthesis_checkpoint="$work/runs/synthesis/best.pt"
[ -f "$synthesis_checkpoint" ] || synthesis_checkpoint="$work/runs/synthesis/last.pt"
handsynth export "$synthesis_checkpoint" handsynth/weights/synthesis.safetensors
handsynth export "$work/runs/ptb-char/best.pt" handsynth/weights/text.safetensors
python scripts/make_styles.py --model handsynth/weights/synthesis.safetensors \
    --out handsynth/weights/styles.npz --seeds 1 2 3 4 5
