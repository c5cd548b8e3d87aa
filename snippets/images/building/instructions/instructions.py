"""Which Dockerfile instructions add layers (Docker SDK for Python)."""

import docker

# --8<-- [start:sdk] proves: history-format-by-builder history-records-each-instruction only-filesystem-instructions-add-layers
client = docker.from_env()
base = client.images.get("busybox:1.35")
# rm=True removes the build's intermediate containers, as `docker build` does.
image, _ = client.images.build(path=".", tag="demo", rm=True)

added = len(image.attrs["RootFS"]["Layers"]) - len(base.attrs["RootFS"]["Layers"])
print("layers added:", added)
for step in image.history()[:6]:  # newest first
    print(f"{step['Size']:>5}  {step['CreatedBy'][:60]}")
# > layers added: 3
# >     0  /bin/sh -c #(nop)  CMD ["cat" "/app/message.txt"]
# >    15  /bin/sh -c wc -c message.txt > /app/size.txt
# >    29  /bin/sh -c #(nop) COPY file:25e646b39282dc2522de55fcba55811a
# >     0  /bin/sh -c #(nop) WORKDIR /app
# >     0  /bin/sh -c #(nop)  LABEL org.example.stage=example
# >     0  /bin/sh -c #(nop)  ENV GREETING=hello
# > [on 28.5-containerd]
# > layers added: 3
# >     0  /bin/sh -c #(nop)  CMD ["cat" "/app/message.txt"]
# > 12288  /bin/sh -c wc -c message.txt > /app/size.txt
# > 12288  /bin/sh -c #(nop) COPY file:25e646b39282dc2522de55fcba55811a
# >  8192  /bin/sh -c #(nop) WORKDIR /app
# >     0  /bin/sh -c #(nop)  LABEL org.example.stage=example
# >     0  /bin/sh -c #(nop)  ENV GREETING=hello
# --8<-- [end:sdk]
