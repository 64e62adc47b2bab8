// The logits of every position of a token sequence, from llama.cpp's library (libllama), as a float32 .npy file
// [positions, vocab]: the llama.cpp side of bench/llamacpp/q8-logits. Built by that script against the user's own
// llama.cpp tree:  cc -O2 logits.c -I$LLAMA_CPP_DIR/include -I$LLAMA_CPP_DIR/ggml/include -L... -lllama
//
//   logits MODEL.gguf IDS OUT.npy THREADS      (IDS: comma-separated token ids)
#include "llama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quiet(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level == GGML_LOG_LEVEL_ERROR) {
        fputs(text, stderr);
    }
}

int main(int argc, char ** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: logits MODEL.gguf IDS OUT.npy THREADS\n");
        return 2;
    }
    int ids[4096];
    int n = 0;
    for (char * p = strtok(argv[2], ","); p != NULL; p = strtok(NULL, ",")) {
        if (n == 4096) {
            fprintf(stderr, "logits: at most 4096 ids\n");
            return 2;
        }
        ids[n++] = atoi(p);
    }
    int threads = atoi(argv[4]);
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.use_mmap = false;
    struct llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (model == NULL) {
        fprintf(stderr, "logits: cannot load %s\n", argv[1]);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n + 16;
    cp.n_batch = n;
    cp.n_ubatch = n;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (ctx == NULL) {
        fprintf(stderr, "logits: cannot create a context\n");
        return 1;
    }
    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = ids[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch) != 0) {
        fprintf(stderr, "logits: llama_decode failed\n");
        return 1;
    }
    int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    FILE * out = fopen(argv[3], "wb");
    if (out == NULL) {
        fprintf(stderr, "logits: cannot write %s\n", argv[3]);
        return 1;
    }
    // .npy version 1.0: magic, header length, a dict padded with spaces to a multiple of 64 bytes, newline.
    char header[128];
    int len = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", n,
                       vocab);
    int total = (10 + len + 1 + 63) / 64 * 64;
    memset(header + len, ' ', (size_t) (total - 10 - len - 1));
    header[total - 10 - 1] = '\n';
    unsigned short header_len = (unsigned short) (total - 10);
    fwrite("\x93NUMPY\x01\x00", 1, 8, out);
    fwrite(&header_len, 2, 1, out);
    fwrite(header, 1, (size_t) header_len, out);
    for (int i = 0; i < n; i++) {
        fwrite(llama_get_logits_ith(ctx, i), sizeof(float), (size_t) vocab, out);
    }
    fclose(out);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
