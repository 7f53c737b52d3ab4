# The expected numbers of Tests/AdjointAutodiffTests/UpdateRuleStepTests.swift, from PyTorch's own
# optimizers (torch.optim) in float64: 3 steps of each rule on one small model at fixed values.
# Run: python3 notes/update-rules-reference.py   (needs torch; the Swift tests do not)
import torch

torch.set_default_dtype(torch.float64)
X = [0.5, -1.2, 0.3, 0.8, 0.1, -0.7, -0.4, 0.9, 1.5, 0.2, -0.3, 0.6]
Y = [0.1, -0.2, 0.4, 0.3, -0.5, 0.2, 0.0, 0.7]
W0 = [0.3, -0.1, 0.2, 0.4, -0.5, 0.25]
B0 = [0.05, -0.1]

# Each case: the rule as the model file writes it, and how torch builds it.
CASES = [
    ("sgd(lr = 0.1)", lambda p: torch.optim.SGD(p, lr=0.1), None),
    ("sgd(lr = 0.1, weight_decay = 0.05)", lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.05), None),
    ("momentum(lr = 0.1, momentum = 0.9)", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), None),
    ("momentum(lr = 0.1, momentum = 0.8, nesterov = 1, weight_decay = 0.01)",
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01), None),
    ("adagrad(lr = 0.1)", lambda p: torch.optim.Adagrad(p, lr=0.1), None),
    ("rmsprop(lr = 0.01, alpha = 0.9)", lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9), None),
    ("adam(lr = 0.01)", lambda p: torch.optim.Adam(p, lr=0.01), None),
    ("adam(lr = 0.01, beta1 = 0.8, beta2 = 0.99, eps = 1e-6, weight_decay = 0.1)",
     lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None),
    ("adamw(lr = 0.01, weight_decay = 0.1)", lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None),
    ("sgd(lr = 0.1, clip_norm = 0.05)", lambda p: torch.optim.SGD(p, lr=0.1), 0.05),
    ("rmsprop(lr = 0.01, clip_norm = 0.05)", lambda p: torch.optim.RMSprop(p, lr=0.01), 0.05),
    ("adam(lr = 0.01, weight_decay = 0.01, clip_norm = 0.05)",
     lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.01), 0.05),
    ("momentum(lr = 0.1, clip_norm = 10)", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), 10.0),
]

x = torch.tensor(X).reshape(4, 3)
y = torch.tensor(Y).reshape(4, 2)
for rule, make, clip in CASES:
    W = torch.tensor(W0).reshape(3, 2).requires_grad_()
    b = torch.tensor(B0).requires_grad_()
    optimizer = make([W, b])
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        loss = torch.mean((torch.tanh(x @ W + b) - y) ** 2)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([W, b], clip)
        optimizer.step()
        losses.append(loss.item())
    fmt = lambda values: "[" + ", ".join(repr(float(v)) for v in values) + "]"
    print(f'        ("{rule}", losses: {fmt(losses)},')
    print(f'         W: {fmt(W.detach().flatten().tolist())},')
    print(f'         b: {fmt(b.detach().tolist())}),')
