#!/usr/bin/env bash
# How the shipped models in handsynth/weights/ were made, end to end. Seeds are fixed (--seed 0),
# so the runs are reproducible up to floating-point differences between machines.
# Usage: scripts/train_shipped.sh SHARED_DATA_DIR WORK_DIR
set -euo pipefail
shared=${1:?give the shared data folder (holding the IAM-OnDB tarballs, iamondb-splits, text)}
work=${2:?give a work folder outside the repository}
mkdir -p "$work/iam"
tar xzf "$shared/iamondb-t2-trainval.tar.gz" -C "$work/iam"
tar xzf "$shared/iamondb-t2-testset_f.tar.gz" -C "$work/iam"
prepare=(handsynth prepare --iam-root "$work/iam" --quiet --splits "$shared/iamondb-splits"
    --blacklist "$shared/iamondb-splits/blacklist.npy")
# Stages 1 and 2 of the synthesis network trained on trainset + testset_t (6,663 lines); stage 3
# and the prediction network on all four training-side sets (10,488 lines), as Graves did.
"${prepare[@]}" --out "$work/prepared-2sets" --train-sets trainset,testset_t
"${prepare[@]}" --out "$work/prepared"

# Synthesis network: 3 layers of 256 (the paper has 400) with K=20 and 10 window Gaussians, batch
# 16. On a 2-core CPU this makes about four times as many updates per hour as 3x400 at batch 32,
# and the attention window needs updates to learn to read. Adam at 1e-3 learns faster than the
# paper's RMSProp at 1e-4 in a short budget. Stage 1 (first session): 5 epochs, float32.
handsynth train synthesis --data "$work/prepared-2sets" --out "$work/runs/synthesis-1" \
    --optimizer adam --lr 1e-3 --hidden-size 256 --batch-size 16 --checkpoint-every 25 \
    --epochs 5 --seed 0
handsynth export "$work/runs/synthesis-1/best.pt" -o "$work/synthesis-1.safetensors"
# Stage 2 (second session) starts from stage 1's exported weights with a new batch order (seed 1).
# It ran as three segments of one run, each resuming the last: 186 steps in float32, then --bf16
# to step 3,890 (the middle of epoch 10), then the rate lowered to 3e-4 to the end of epoch 10.
# The shipped file is the best validation epoch.
stage2=(handsynth train synthesis --data "$work/prepared-2sets" --out "$work/runs/synthesis-2"
    --init-from "$work/synthesis-1.safetensors" --optimizer adam --batch-size 16
    --checkpoint-every 25 --seed 1)
"${stage2[@]}" --lr 1e-3 --epochs 50 --max-steps 186
"${stage2[@]}" --lr 1e-3 --epochs 50 --max-steps 3890 --bf16
"${stage2[@]}" --lr 3e-4 --epochs 10 --bf16
handsynth export "$work/runs/synthesis-2/best.pt" -o "$work/synthesis-2.safetensors"
# Stage 3 (third session) goes on from stage 2's weights on all four sets (same alphabet), batch 32,
# Adam 5e-4, float32 on one thread (an AVX2-only CPU: no bfloat16 LSTM), seed 3: two epochs, 656
# steps. It was stopped once with SIGTERM at step 74 and resumed with the same command (exact), and
# ran as --epochs 30 until it was stopped early in epoch 3; --epochs 2 gives the same best.pt.
OMP_NUM_THREADS=1 handsynth train synthesis --data "$work/prepared" --out "$work/runs/synthesis-3" \
    --init-from "$work/synthesis-2.safetensors" --optimizer adam --lr 5e-4 --batch-size 32 \
    --checkpoint-every 25 --seed 3 --epochs 2
# Prediction network for `handsynth sample`: small (2x128, K=20) so that it trains in about 20
# minutes of one CPU core: three epochs of batch 32, Adam 1e-3, one thread.
OMP_NUM_THREADS=1 handsynth train prediction --data "$work/prepared" --out "$work/runs/prediction" \
    --hidden-size 128 --layers 2 --optimizer adam --lr 1e-3 --batch-size 32 --epochs 3 \
    --checkpoint-every 50 --seed 0
# Char-level Penn Treebank text network (1x256, embedding 64), two epochs.
handsynth train text --data "$shared/text/ptb.zip" --level char --out "$work/runs/ptb-char" \
    --optimizer adam --lr 2e-3 --hidden-size 256 --embedding-size 64 --batch-size 32 --epochs 2 \
    --checkpoint-every 100 --seed 0

handsynth export "$work/runs/synthesis-3/best.pt" -o handsynth/weights/synthesis.safetensors
handsynth export "$work/runs/prediction/best.pt" -o handsynth/weights/prediction.safetensors
handsynth export "$work/runs/ptb-char/best.pt" -o handsynth/weights/text.safetensors
python scripts/make_styles.py --model handsynth/weights/synthesis.safetensors \
    --out handsynth/weights/styles.npz --seeds 1 2 3 4 5
