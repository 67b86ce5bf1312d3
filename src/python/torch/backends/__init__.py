class _Flags:
    allow_tf32 = False
    enabled = True
    benchmark = False
    deterministic = False

    def __getattr__(self, k):
        return _Flags()


cuda = _Flags()
cudnn = _Flags()
mps = _Flags()
