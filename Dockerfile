# One image for every role; compose.yaml picks the role per service.
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir '.[postgres]'
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["guyub", "run"]
