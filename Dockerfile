FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY neighbor_api ./neighbor_api
COPY schema ./schema
RUN pip install --no-cache-dir .
ENV NEIGHBOR_ENVIRONMENT=production
EXPOSE 8000
CMD ["neighbor-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
