import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 5)


model = SimpleModel()
prune.l1_unstructured(model.fc, name='weight', amount=0.4)
zero_weights = torch.sum(model.fc.weight == 0).item()
print(zero_weights)
